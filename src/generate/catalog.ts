import { Rng } from './rng';
import { CATEGORY_NAMES, MISSING_CATEGORY } from './vocabulary';

/** One product version as the generator intends it (before dirt). */
export interface ProductVersion {
  prdId: number;
  /** Category id with '-' (CO-RF) + '-' + product number: the raw prd_key. */
  prdKey: string;
  categoryId: string;
  productNumber: string;
  name: string;
  cost: number;
  line: 'M' | 'R' | 'S' | 'T' | null;
  startDay: number;
  /** Day before the next version's start; null for the latest version. */
  endDay: number | null;
}

export interface Product {
  productNumber: string;
  categoryId: string;
  price: number;
  versions: ProductVersion[];
}

const LINES: ProductVersion['line'][] = ['M', 'R', 'S', 'T', null];
const ALNUM = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789';

/**
 * The product catalog: about eight product numbers per category, one to three versions each,
 * plus a few products of a category that px_cat_g1v2 lacks. Independent of the customer count.
 */
export function buildCatalog(rng: Rng, asOfDay: number): Product[] {
  const products: Product[] = [];
  const categories = [...Object.keys(CATEGORY_NAMES), MISSING_CATEGORY];
  let prdId = 200;
  const seen = new Set<string>();
  for (const categoryId of categories) {
    const count = categoryId === MISSING_CATEGORY ? 3 : 8;
    for (let i = 0; i < count; i++) {
      let productNumber: string;
      do {
        productNumber = `${code(rng, 2)}-${code(rng, 4)}-${rng.int(10, 99)}`;
      } while (seen.has(productNumber));
      seen.add(productNumber);
      const versionCount = 1 + (products.length % 3);
      const starts = [asOfDay - 2000, asOfDay - 700, asOfDay - 300].slice(0, versionCount);
      const line = rng.pick(LINES);
      const price = categoryId.startsWith('BI') ? rng.int(500, 3500) : rng.int(2, 150);
      const name = `${CATEGORY_NAMES[categoryId]?.[1] ?? 'Prototype'} ${productNumber}`;
      const versions: ProductVersion[] = starts.map((startDay, v) => ({
        prdId: prdId++,
        prdKey: `${categoryId.replace('_', '-')}-${productNumber}`,
        categoryId,
        productNumber,
        name: v === 0 ? name : `${name} v${v + 1}`,
        cost: Math.max(1, Math.round(price * 0.6) + v),
        line,
        startDay,
        endDay: v + 1 < starts.length ? starts[v + 1]! - 1 : null,
      }));
      products.push({ productNumber, categoryId, price, versions });
    }
  }
  return products;
}

function code(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALNUM[rng.int(0, ALNUM.length - 1)];
  return s;
}
