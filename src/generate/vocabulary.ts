/** Names, places and codes the generator draws from; non-ASCII names on purpose. */
export const FIRST_NAMES = [
  'Jon', 'Elizabeth', 'Ruben', 'Christy', 'Eugene', 'Curtis', 'Lauren', 'Ian', 'Sydney', 'Chloe',
  'Wyatt', 'Shannon', 'Clarence', 'Luke', 'Jordan', 'Destiny', 'Ethan', 'Seth', 'Russell', 'Alejandro',
  'José', 'Zoë', 'Łukasz', 'Søren', 'Chloé', 'Renée', 'Björn', 'Müller', 'Ana María', 'François',
];
export const LAST_NAMES = [
  'Yang', 'Huang', 'Torres', 'Zhu', 'Johnson', 'Ruiz', 'Alvarez', 'Mehta', 'Verhoff', 'Carlson',
  'Hill', 'Bruner', 'Anderson', 'Rodriguez', 'Wright', 'Jenkins', 'Peterson', "O'Brien", 'Nguyen', 'Baker',
  'Núñez', 'Ødegaard', 'Dvořák', 'Kowalczyk', 'Schröder', 'Smith, Jr.', 'García', 'Lévesque', '山田', 'Öztürk',
];
export const STREETS = ['main street', 'oak avenue', 'park road', 'sunset boulevard', 'lake drive', 'elm lane', 'hill court', 'river place'];
export const CITIES = ['Berlin', 'Seattle', 'Sydney', 'London', 'Toronto', 'Paris', 'Portland', 'München'];
export const COUNTRIES = ['Germany', 'United States', 'Australia', 'United Kingdom', 'Canada', 'France'];
export const EMAIL_DOMAINS = ['example.com', 'mail.example.org', 'adventure-works.com'];
export const CATEGORY_NAMES: Record<string, [string, string, string]> = {
  AC_BR: ['Accessories', 'Bike Racks', 'Yes'], AC_BS: ['Accessories', 'Bike Stands', 'No'], AC_BC: ['Accessories', 'Bottles and Cages', 'No'],
  AC_CL: ['Accessories', 'Cleaners', 'Yes'], AC_FE: ['Accessories', 'Fenders', 'No'], AC_HE: ['Accessories', 'Helmets', 'Yes'],
  AC_HP: ['Accessories', 'Hydration Packs', 'No'], AC_LI: ['Accessories', 'Lights', 'Yes'], AC_LO: ['Accessories', 'Locks', 'Yes'],
  AC_PA: ['Accessories', 'Panniers', 'No'], AC_PU: ['Accessories', 'Pumps', 'Yes'], AC_TT: ['Accessories', 'Tires and Tubes', 'Yes'],
  BI_MB: ['Bikes', 'Mountain Bikes', 'Yes'], BI_RB: ['Bikes', 'Road Bikes', 'Yes'], BI_TB: ['Bikes', 'Touring Bikes', 'Yes'],
  CL_BS: ['Clothing', 'Bib-Shorts', 'No'], CL_CA: ['Clothing', 'Caps', 'No'], CL_GL: ['Clothing', 'Gloves', 'No'],
  CL_JE: ['Clothing', 'Jerseys', 'No'], CL_SH: ['Clothing', 'Shorts', 'No'], CL_SO: ['Clothing', 'Socks', 'No'],
  CL_TI: ['Clothing', 'Tights', 'No'], CL_VE: ['Clothing', 'Vests', 'No'], CO_BB: ['Components', 'Bottom Brackets', 'Yes'],
  CO_BR: ['Components', 'Brakes', 'Yes'], CO_CS: ['Components', 'Cranksets', 'Yes'], CO_DE: ['Components', 'Derailleurs', 'Yes'],
  CO_FO: ['Components', 'Forks', 'Yes'], CO_HB: ['Components', 'Handlebars', 'Yes'], CO_HP: ['Components', 'Headsets', 'Yes'],
  CO_MR: ['Components', 'Mountain Frames', 'Yes'], CO_PD: ['Components', 'Pedals', 'Yes'], CO_RF: ['Components', 'Road Frames', 'Yes'],
  CO_SA: ['Components', 'Saddles', 'Yes'], CO_TF: ['Components', 'Touring Frames', 'Yes'], CO_WH: ['Components', 'Wheels', 'Yes'],
};
/** Used by some products but absent from px_cat_g1v2: the "category with no row" dirt. */
export const MISSING_CATEGORY = 'CO_XX';
