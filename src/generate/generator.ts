import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildCatalog, type Product } from './catalog';
import { CsvWriter, type CsvStyle } from './csv-writer';
import { newCustomerDirt, writeCustomer, type CustomerTruth } from './customers';
import { intDate, isoDate, monthsBetween, toDay, yearMonth } from './dates';
import { Rng } from './rng';
import { CATEGORY_NAMES, COUNTRIES } from './vocabulary';

export interface GenerateOptions {
  out: string;
  customers: number;
  seed: number;
  asOf: string;
}

export type Manifest = ReturnType<typeof emptyManifest>;

/** Each file gets a different mix of the formatting the spec allows, so every one is exercised. */
const STYLES: Record<string, CsvStyle> = {
  cust_info: { bom: true, crlf: true, noFinalNewline: false, trailingBlankLines: 0 },
  prd_info: { bom: false, crlf: false, noFinalNewline: true, trailingBlankLines: 0 },
  sales_details: { bom: false, crlf: false, noFinalNewline: false, trailingBlankLines: 0 },
  CUST_AZ12: { bom: false, crlf: true, noFinalNewline: false, trailingBlankLines: 2 },
  LOC_A101: { bom: true, crlf: false, noFinalNewline: false, trailingBlankLines: 0 },
  PX_CAT_G1V2: { bom: false, crlf: false, noFinalNewline: false, trailingBlankLines: 1 },
};

function emptyManifest(opts: GenerateOptions) {
  return {
    generator: 'metalayer retail generator v1',
    seed: opts.seed,
    customers: opts.customers,
    asOf: opts.asOf,
    files: {} as Record<string, { path: string; rows: number }>,
    dirt: {
      customers: newCustomerDirt(),
      erpNasPrefix: 0, erpFutureBirthdates: 0, erpGenderSpellings: 0,
      locCountryCodes: 0, locBlankCountries: 0,
      productNullCost: 0, productLineSpellings: 0, productGarbageEndDates: 0, productMissingCategory: 0,
      salesBadOrderDate: 0, salesBadShipDate: 0, salesNullSales: 0, salesZeroSales: 0, salesNegativeSales: 0,
      salesWrongSales: 0, salesNullPrice: 0, salesNegativePrice: 0, salesUnknownCustomer: 0,
    },
    expected: {
      bronzeRows: {} as Record<string, number>,
      silver: {
        customers: 0, customersQuarantined: 0, customerGender: { Male: 0, Female: 0, 'n/a': 0 },
        customerMarital: { Single: 0, Married: 0, 'n/a': 0 }, validEmails: 0, validPhones: 0,
        /** Sum over customers of checks passed (of 4): quality_score sum × 4. */
        qualityChecksPassed: 0,
        products: 0, productsCostZero: 0, sales: 0, salesNullOrderDate: 0,
        erpCustomers: 0, erpNullBirthdate: 0, locations: 0, locationCountries: {} as Record<string, number>,
        categories: 0,
      },
      gold: {
        dimCustomers: 0, dimProducts: 0, dimProductsCurrent: 0, facts: 0, factsWithOrderDate: 0,
        factsWithoutCustomer: 0, totalSales: 0, totalSalesWithOrderDate: 0, totalQuantity: 0,
        genders: { Male: 0, Female: 0, 'n/a': 0 },
        monthlySales: {} as Record<string, number>,
        clvCustomers: 0, segments: { VIP: 0, Regular: 0, New: 0 },
      },
    },
  };
}

/**
 * Writes the six retail source files with the spec's dirt, deterministic for a seed, and a
 * manifest.json recording the dirt injected and the silver and gold figures it must produce.
 */
export function generate(opts: GenerateOptions): Manifest {
  mkdirSync(opts.out, { recursive: true });
  const rng = new Rng(opts.seed);
  const asOfDay = toDay(opts.asOf);
  const m = emptyManifest(opts);
  const d = m.dirt;
  const exS = m.expected.silver;
  const exG = m.expected.gold;
  const file = (name: string, dir: string, header: string[]): CsvWriter =>
    new CsvWriter(path.join(opts.out, dir, `${name}.csv`), header, STYLES[name]!);
  mkdirSync(path.join(opts.out, 'source_crm'), { recursive: true });
  mkdirSync(path.join(opts.out, 'source_erp'), { recursive: true });

  // Products and categories.
  const catalog = buildCatalog(rng, asOfDay);
  const prd = file('prd_info', 'source_crm', ['prd_id', 'prd_key', 'prd_nm', 'prd_cost', 'prd_line', 'prd_start_dt', 'prd_end_dt']);
  for (const p of catalog) {
    for (const v of p.versions) {
      let cost = String(v.cost);
      if (rng.chance(0.03)) {
        cost = '';
        d.productNullCost++;
        exS.productsCostZero++;
      }
      let line = v.line ?? '';
      if (v.line && rng.chance(0.3)) {
        line = `${v.line} `;
        d.productLineSpellings++;
      }
      let end = v.endDay === null ? '' : isoDate(v.endDay);
      if (rng.chance(0.4)) {
        end = isoDate(v.startDay - rng.int(1, 300)); // garbage: before its own start
        d.productGarbageEndDates++;
      }
      if (v.categoryId.endsWith('XX')) d.productMissingCategory++;
      prd.row([String(v.prdId), v.prdKey, v.name, cost, line, isoDate(v.startDay), end]);
      exS.products++;
      exG.dimProducts++;
      if (v.endDay === null) exG.dimProductsCurrent++;
    }
  }
  close(m, 'crm_prd_info', prd);
  const cat = file('PX_CAT_G1V2', 'source_erp', ['ID', 'CAT', 'SUBCAT', 'MAINTENANCE']);
  for (const [id, [c, s, mt]] of Object.entries(CATEGORY_NAMES)) {
    cat.row([id, rng.chance(0.2) ? ` ${c} ` : c, s, mt]);
    exS.categories++;
  }
  close(m, 'erp_px_cat_g1v2', cat);

  // Customers, their ERP rows and their sales.
  const cust = file('cust_info', 'source_crm', ['cst_id', 'cst_key', 'cst_firstname', 'cst_lastname', 'cst_marital_status', 'cst_gndr', 'cst_create_date', 'cst_email', 'cst_phone', 'cst_address', 'cst_city', 'cst_postal_code']);
  const az = file('CUST_AZ12', 'source_erp', ['CID', 'BDATE', 'GEN']);
  const loc = file('LOC_A101', 'source_erp', ['CID', 'CNTRY']);
  const sales = file('sales_details', 'source_crm', ['sls_ord_num', 'sls_prd_key', 'sls_cust_id', 'sls_order_dt', 'sls_ship_dt', 'sls_due_dt', 'sls_sales', 'sls_quantity', 'sls_price']);
  const orderSeq = { next: 43697 };
  for (let i = 0; i < opts.customers; i++) {
    const t = writeCustomer(cust, rng, i, asOfDay, d.customers);
    exS.customers++;
    exS.customerGender[t.gender]++;
    exS.customerMarital[t.marital]++;
    if (t.emailValid) exS.validEmails++;
    if (t.phoneValid) exS.validPhones++;
    exS.qualityChecksPassed += t.checksPassed;
    exG.dimCustomers++;
    const erpGender = writeErp(az, loc, rng, t, asOfDay, m);
    exG.genders[t.gender !== 'n/a' ? t.gender : erpGender]++;
    writeSales(sales, rng, t.id, catalog, asOfDay, orderSeq, m);
  }
  const c = d.customers;
  exS.customersQuarantined = c.emptyKeyRows + c.supersededOlderDate + c.supersededTie + c.supersededNullDate;
  // Order lines of customers that do not exist: facts without a customer, counted.
  for (let k = 0; k < Math.max(1, Math.floor(opts.customers / 2000)); k++) {
    writeSales(sales, rng, 90_000_000 + k, catalog, asOfDay, orderSeq, m, true);
  }
  close(m, 'crm_cust_info', cust);
  close(m, 'erp_cust_az12', az);
  close(m, 'erp_loc_a101', loc);
  close(m, 'crm_sales_details', sales);
  writeFileSync(path.join(opts.out, 'manifest.json'), JSON.stringify(m, null, 2));
  return m;
}

function close(m: Manifest, source: string, w: CsvWriter): void {
  w.close();
  m.files[source] = { path: w.path, rows: w.rows };
  m.expected.bronzeRows[source] = w.rows;
}

const ERP_GENDER: Record<CustomerTruth['gender'], string[]> = {
  Male: ['Male', 'M', 'MALE', 'Male ', ' m'],
  Female: ['Female', 'F', 'female', ' Female', 'F '],
  'n/a': ['', ' ', 'Unknown'],
};

/** Writes the ERP demographics and location rows of a customer; returns the ERP gender meant. */
function writeErp(az: CsvWriter, loc: CsvWriter, rng: Rng, t: CustomerTruth, asOfDay: number, m: Manifest): CustomerTruth['gender'] {
  const d = m.dirt;
  const ex = m.expected.silver;
  const nas = rng.chance(0.5);
  if (nas) d.erpNasPrefix++;
  let birthDay = asOfDay - rng.int(18 * 365, 85 * 365);
  if (rng.chance(0.003)) {
    birthDay = asOfDay + rng.int(1, 3000);
    d.erpFutureBirthdates++;
    ex.erpNullBirthdate++;
  }
  const gender: CustomerTruth['gender'] = rng.chance(0.05) ? 'n/a' : rng.chance(0.5) ? 'Male' : 'Female';
  const genRaw = rng.pick(ERP_GENDER[gender]);
  if (genRaw !== 'Male' && genRaw !== 'Female') d.erpGenderSpellings++;
  az.row([(nas ? 'NAS' : '') + t.key, isoDate(birthDay), genRaw]);
  ex.erpCustomers++;

  const country = rng.pick(COUNTRIES);
  let raw: string = country;
  let expected = country;
  const r = rng.next();
  if (country === 'Germany' && r < 0.3) {
    raw = 'DE';
    d.locCountryCodes++;
  } else if (country === 'United States' && r < 0.3) {
    raw = rng.pick(['US', 'USA', ' USA ']);
    d.locCountryCodes++;
  } else if (r > 0.99) {
    raw = rng.pick(['', '   ']);
    expected = 'n/a';
    d.locBlankCountries++;
  } else if (r > 0.98) {
    raw = ` ${country} `;
  }
  loc.row([`${t.key.slice(0, 2)}-${t.key.slice(2)}`, raw]);
  ex.locations++;
  ex.locationCountries[expected] = (ex.locationCountries[expected] ?? 0) + 1;
  return gender;
}

/** Writes a customer's orders (1 to 4, each 1 to 5 distinct products) with the sales dirt. */
function writeSales(
  w: CsvWriter,
  rng: Rng,
  customerId: number,
  catalog: Product[],
  asOfDay: number,
  orderSeq: { next: number },
  m: Manifest,
  unknownCustomer = false,
): void {
  const d = m.dirt;
  const exG = m.expected.gold;
  const orders = unknownCustomer ? 1 : rng.int(1, 4);
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let total = 0;
  for (let o = 0; o < orders; o++) {
    const orderNumber = `SO${orderSeq.next++}`;
    const orderDay = asOfDay - rng.int(1, 1000);
    const lines = rng.int(1, 5);
    const used = new Set<number>();
    for (let l = 0; l < lines; l++) {
      let p = rng.int(0, catalog.length - 1);
      while (used.has(p)) p = (p + 1) % catalog.length;
      used.add(p);
      const product = catalog[p]!;
      const quantity = rng.chance(0.85) ? 1 : rng.int(2, 3);
      const price = product.price;
      const amount = quantity * price;
      let orderRaw = intDate(orderDay);
      let dated = true;
      const r = rng.next();
      if (r < 0.002) {
        orderRaw = '0';
        dated = false;
      } else if (r < 0.004) {
        orderRaw = orderRaw.slice(0, 7);
        dated = false;
      }
      if (!dated) d.salesBadOrderDate++;
      let shipRaw = intDate(orderDay + 7);
      if (rng.chance(0.001)) {
        shipRaw = `${shipRaw}1`;
        d.salesBadShipDate++;
      }
      let salesRaw = String(amount);
      let priceRaw = String(price);
      const s = rng.next();
      if (s < 0.003) [salesRaw, d.salesNullSales] = ['', d.salesNullSales + 1];
      else if (s < 0.005) [salesRaw, d.salesZeroSales] = ['0', d.salesZeroSales + 1];
      else if (s < 0.007) [salesRaw, d.salesNegativeSales] = [String(-amount), d.salesNegativeSales + 1];
      else if (s < 0.01) [salesRaw, d.salesWrongSales] = [String(amount + rng.int(1, 50)), d.salesWrongSales + 1];
      else if (s < 0.013) [priceRaw, d.salesNullPrice] = ['', d.salesNullPrice + 1];
      else if (s < 0.016) [priceRaw, d.salesNegativePrice] = [String(-price), d.salesNegativePrice + 1];
      w.row([orderNumber, product.productNumber, String(customerId), orderRaw, shipRaw, intDate(orderDay + 12), salesRaw, String(quantity), priceRaw]);
      // Every dirty line is repairable: silver recovers amount = quantity × price.
      m.expected.silver.sales++;
      exG.facts++;
      exG.totalSales += amount;
      exG.totalQuantity += quantity;
      if (unknownCustomer) {
        exG.factsWithoutCustomer++;
        d.salesUnknownCustomer++;
      }
      if (dated) {
        exG.factsWithOrderDate++;
        exG.totalSalesWithOrderDate += amount;
        const ym = String(yearMonth(orderDay));
        exG.monthlySales[ym] = (exG.monthlySales[ym] ?? 0) + amount;
        if (!unknownCustomer) {
          first = Math.min(first, orderDay);
          last = Math.max(last, orderDay);
          total += amount;
        }
      } else {
        m.expected.silver.salesNullOrderDate++;
      }
    }
  }
  if (!unknownCustomer && Number.isFinite(first)) {
    exG.clvCustomers++;
    const lifespan = monthsBetween(first, last);
    exG.segments[lifespan >= 12 && total > 5000 ? 'VIP' : lifespan >= 12 ? 'Regular' : 'New']++;
  }
}
