import type { CsvWriter } from './csv-writer';
import { isoDate } from './dates';
import type { Rng } from './rng';
import { CITIES, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES, STREETS } from './vocabulary';

/** What silver must end up with for one customer: the generator's intent, before dirt. */
export interface CustomerTruth {
  id: number;
  key: string;
  gender: 'Male' | 'Female' | 'n/a';
  marital: 'Single' | 'Married' | 'n/a';
  createDay: number;
  checksPassed: number;
  emailValid: boolean;
  phoneValid: boolean;
}

export interface CustomerDirt {
  emptyKeyRows: number;
  /** Extra, superseded rows of duplicated customers, by why they lose. */
  supersededOlderDate: number;
  supersededTie: number;
  supersededNullDate: number;
  namesWithSpaces: number;
  blankNames: number;
  codeSpellings: number;
  emailsMixedCaseOrSpaces: number;
  emailsInvalid: number;
  phonesInvalid: number;
  addressesOddSpacing: number;
  quotedValues: number;
  multilineValues: number;
  nonAsciiNames: number;
}

const GENDER_SPELLINGS: Record<CustomerTruth['gender'], string[]> = {
  Male: ['M', 'M', 'M', 'M ', ' m'],
  Female: ['F', 'F', 'F', 'F ', 'f'],
  'n/a': ['', ' ', 'X'],
};
const MARITAL_SPELLINGS: Record<CustomerTruth['marital'], string[]> = {
  Single: ['S', 'S', 'S', 's ', ' S'],
  Married: ['M', 'M', 'M', 'm', 'M '],
  'n/a': ['', '  ', 'D'],
};

export function newCustomerDirt(): CustomerDirt {
  return {
    emptyKeyRows: 0, supersededOlderDate: 0, supersededTie: 0, supersededNullDate: 0, namesWithSpaces: 0,
    blankNames: 0, codeSpellings: 0, emailsMixedCaseOrSpaces: 0, emailsInvalid: 0, phonesInvalid: 0,
    addressesOddSpacing: 0, quotedValues: 0, multilineValues: 0, nonAsciiNames: 0,
  };
}

/**
 * Writes one customer's cust_info rows (the complete one, and for about 1 % of customers
 * superseded older rows around it) and returns what silver must keep.
 */
export function writeCustomer(w: CsvWriter, rng: Rng, i: number, asOfDay: number, dirt: CustomerDirt): CustomerTruth {
  const id = 11000 + i;
  const key = `AW${String(id).padStart(8, '0')}`;
  const gender = rng.chance(0.03) ? 'n/a' : rng.chance(0.5) ? 'Male' : 'Female';
  const marital = rng.chance(0.03) ? 'n/a' : rng.chance(0.5) ? 'Married' : 'Single';
  const createDay = asOfDay - rng.int(30, 3000);
  let first = rng.pick(FIRST_NAMES);
  let last = rng.pick(LAST_NAMES);
  if (/[^\x20-\x7e]/.test(first + last)) dirt.nonAsciiNames++;
  if (last.includes(',')) dirt.quotedValues++;
  let namePresent = true;
  if (rng.chance(0.01)) {
    first = `  ${first} `;
    dirt.namesWithSpaces++;
  }
  if (rng.chance(0.005)) {
    last = '   ';
    namePresent = false;
    dirt.blankNames++;
  }
  const genderRaw = rng.pick(GENDER_SPELLINGS[gender]);
  const maritalRaw = rng.pick(MARITAL_SPELLINGS[marital]);
  if (genderRaw.trim() !== genderRaw || maritalRaw.trim() !== maritalRaw || /[a-z]/.test(genderRaw + maritalRaw)) dirt.codeSpellings++;

  const contact = contactFor(rng, id, dirt);
  const complete = [String(id), key, first, last, maritalRaw, genderRaw, isoDate(createDay), contact.email, contact.phone, contact.address, contact.city, contact.postal];
  // An older, incomplete export of the same customer: it must lose to the complete row.
  const stale = (dateText: string): string[] => [String(id), key, '', last, '', '', dateText, '', '', '', '', ''];

  const dup = rng.next();
  if (dup < 0.004) {
    w.row(complete);
    w.row(stale(isoDate(createDay - rng.int(1, 400)))); // older date, loaded later
    dirt.supersededOlderDate++;
  } else if (dup < 0.007) {
    w.row(stale(isoDate(createDay))); // same date, loaded earlier: the later row wins the tie
    w.row(complete);
    dirt.supersededTie++;
  } else if (dup < 0.01) {
    w.row(complete);
    w.row(stale('')); // no date: NULLs sort last
    dirt.supersededNullDate++;
  } else {
    w.row(complete);
  }
  if (rng.chance(0.002)) {
    w.row(['', `AW${String(rng.int(1, 9999)).padStart(8, '0')}`, rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES), 'S', 'F', isoDate(createDay), '', '', '', '', '']);
    dirt.emptyKeyRows++;
  }
  const addressComplete = contact.address !== '' && contact.city !== '' && contact.postal !== '';
  const checksPassed = (namePresent ? 1 : 0) + (contact.emailValid ? 1 : 0) + (contact.phoneValid ? 1 : 0) + (addressComplete ? 1 : 0);
  return { id, key, gender, marital, createDay, checksPassed, emailValid: contact.emailValid, phoneValid: contact.phoneValid };
}

interface Contact {
  email: string;
  phone: string;
  address: string;
  city: string;
  postal: string;
  emailValid: boolean;
  phoneValid: boolean;
}

function contactFor(rng: Rng, id: number, dirt: CustomerDirt): Contact {
  const domain = rng.pick(EMAIL_DOMAINS);
  let email = `c${id}@${domain}`;
  let emailValid = true;
  const e = rng.next();
  if (e < 0.01) {
    email = `  C${id}@${domain.toUpperCase()} `;
    dirt.emailsMixedCaseOrSpaces++;
  } else if (e < 0.02) {
    email = rng.pick([`c${id}.${domain}`, `c${id}@@${domain}`, `c ${id}@${domain}`, `c${id}@localhost`]);
    emailValid = false;
    dirt.emailsInvalid++;
  } else if (e < 0.025) {
    email = '';
    emailValid = false;
  }
  const n7 = String(rng.int(1_000_000, 9_999_999));
  let phone = rng.pick([`+1 (206) ${n7.slice(0, 3)}-${n7.slice(3)}`, `206.${n7.slice(0, 3)}.${n7.slice(3)}`, `+49 30 ${n7}`, `0049-30-${n7}`, `(425)${n7}`]);
  let phoneValid = true;
  if (rng.chance(0.015)) {
    phone = rng.pick([`${n7.slice(0, 3)}-${n7.slice(3)}`, 'n/a', '12345678901234567']);
    phoneValid = false;
    dirt.phonesInvalid++;
  }
  let address = `${rng.int(1, 9999)} ${rng.pick(STREETS)}`;
  const a = rng.next();
  if (a < 0.01) {
    address = `  ${address.toUpperCase().replace(' ', '   ')} `;
    dirt.addressesOddSpacing++;
  } else if (a < 0.02) {
    address = `${address}, apt ${rng.int(1, 99)}`;
    dirt.quotedValues++;
  } else if (a < 0.021) {
    address = `${address}\nbuilding ${rng.int(1, 9)}`;
    dirt.multilineValues++;
  }
  let city = rng.pick(CITIES);
  if (rng.chance(0.005)) city = '';
  const postal = rng.chance(0.01) ? `sw${rng.int(1, 9)}a ${rng.int(1, 9)}aa` : String(rng.int(10000, 99999));
  return { email, phone, address, city, postal, emailValid, phoneValid };
}
