/** Dates as UTC day numbers, formatted with a cache: the generator formats millions of them. */
const DAY_MS = 86_400_000;

export function toDay(iso: string): number {
  return Math.floor(Date.parse(`${iso}T00:00:00Z`) / DAY_MS);
}

const isoCache = new Map<number, string>();
export function isoDate(day: number): string {
  let s = isoCache.get(day);
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10);
    isoCache.set(day, s);
  }
  return s;
}

export function intDate(day: number): string {
  return isoDate(day).replace(/-/g, '');
}

/** YYYYMM of a day. */
export function yearMonth(day: number): number {
  const s = isoDate(day);
  return Number(s.slice(0, 4)) * 100 + Number(s.slice(5, 7));
}

/** Calendar months between two days: (y2 - y1) * 12 + m2 - m1. */
export function monthsBetween(d1: number, d2: number): number {
  const a = yearMonth(d1);
  const b = yearMonth(d2);
  return (Math.floor(b / 100) - Math.floor(a / 100)) * 12 + (b % 100) - (a % 100);
}
