import { createReadStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The next day's exports for the incremental benchmark: 1 % of the customers changed (a new
 * name and a newer create date, so silver takes them and gold versions them) and new order
 * lines amounting to 1 % of the existing ones, for existing customers and products.
 * `day` picks whose: day 0 (the bench's next day) changes every 100th customer from the first
 * and gives its k-th line to the customer at 7919 × k (modulo the customer count); day d changes
 * every 100th from the d-th and gives its lines to those at 7919 × (k + d × lines), so that
 * consecutive days touch other customers, as real days mostly do (7919 is prime to the customer
 * counts, so the lines of the first 13 days go to different customers).
 */
export async function writeIncrementalDay(
  dataset: string,
  out: string,
  asOf: string,
  tag = '', // a later day's new order numbers and names (the bench's day after; bench/day-timeline.ts)
  day = tag ? 1 : 0,
): Promise<{ customers: number; orderLines: number }> {
  if (!Number.isInteger(day) || day < 0 || day > 99) throw new Error(`day ${day}: an integer from 0 to 99`);
  const customers = JSON.parse(readFileSync(path.join(dataset, 'manifest.json'), 'utf8')).customers as number;
  mkdirSync(out, { recursive: true });
  const header = 'cst_id,cst_key,cst_firstname,cst_lastname,cst_marital_status,cst_gndr,cst_create_date,cst_email,cst_phone,cst_address,cst_city,cst_postal_code';
  const cust: string[] = [header];
  for (let i = day; i < customers; i += 100) {
    const id = 11000 + i;
    cust.push(`${id},AW${String(id).padStart(8, '0')},Changed${tag},Customer${i},M,F,${asOf},c${id}@example.com,206.555.0100,1 Lake Drive,Seattle,98101`);
  }
  writeFileSync(path.join(out, 'cust_info_day2.csv'), `${cust.join('\n')}\n`);

  const products = new Set<string>();
  let lines = 0;
  const reader = createInterface({ input: createReadStream(path.join(dataset, 'source_crm', 'sales_details.csv')) });
  for await (const line of reader) {
    if (lines++ > 0 && products.size < 200) products.add(line.split(',')[1]!);
  }
  const productList = [...products];
  const date = asOf.replace(/-/g, '');
  const sales: string[] = ['sls_ord_num,sls_prd_key,sls_cust_id,sls_order_dt,sls_ship_dt,sls_due_dt,sls_sales,sls_quantity,sls_price'];
  const newLines = Math.floor((lines - 1) / 100);
  for (let k = 0; k < newLines; k++) {
    const customer = 11000 + (((k + day * newLines) * 7919) % customers);
    sales.push(`SD${tag}${k},${productList[k % productList.length]},${customer},${date},${date},${date},20,2,10`);
  }
  writeFileSync(path.join(out, 'sales_details_day2.csv'), `${sales.join('\n')}\n`);
  return { customers: cust.length - 1, orderLines: newLines };
}
