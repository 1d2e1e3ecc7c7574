import { col, SourceContractSchema, type SourceContract } from './source-contract';

/** The six sources of the retail pipeline (../shared/spec/retail-pipeline.md). */
const RAW = [
  {
    name: 'crm_cust_info',
    system: 'crm',
    filePrefix: 'cust_info',
    description: 'CRM customers; a customer may appear several times with different create dates.',
    entity: 'customers',
    businessKey: ['cst_id'],
    columns: [
      col('cst_id', 'int', 'CRM customer id (business key).'),
      col('cst_key', 'text', 'Customer number, e.g. AW00011000; joins the ERP files.'),
      col('cst_firstname', 'text', 'First name.', { pii: true }),
      col('cst_lastname', 'text', 'Last name.', { pii: true }),
      col('cst_marital_status', 'text', 'Marital status code: S or M.'),
      col('cst_gndr', 'text', 'Gender code: F or M.'),
      col('cst_create_date', 'date', 'Date the CRM record was created (YYYY-MM-DD).'),
      col('cst_email', 'text', 'E-mail address.', { required: false, pii: true }),
      col('cst_phone', 'text', 'Phone number, any format.', { required: false, pii: true }),
      col('cst_address', 'text', 'Street address.', { required: false, pii: true }),
      col('cst_city', 'text', 'City.', { required: false }),
      col('cst_postal_code', 'text', 'Postal code.', { required: false }),
    ],
  },
  {
    name: 'crm_prd_info',
    system: 'crm',
    filePrefix: 'prd_info',
    description: 'CRM products; one row per product version.',
    entity: 'products',
    businessKey: ['prd_id'],
    columns: [
      col('prd_id', 'int', 'Product version id (business key).'),
      col('prd_key', 'text', 'Category id (5 chars) + "-" + product number, e.g. CO-RF-FR-R92B-58.'),
      col('prd_nm', 'text', 'Product name.'),
      col('prd_cost', 'int', 'Cost; NULL means 0.'),
      col('prd_line', 'text', 'Product line code: M, R, S or T.'),
      col('prd_start_dt', 'date', 'First day this version is valid.'),
      col('prd_end_dt', 'date', 'Last day (untrusted; recomputed in silver).'),
    ],
  },
  {
    name: 'crm_sales_details',
    system: 'crm',
    filePrefix: 'sales_details',
    description: 'CRM order lines.',
    entity: 'sales',
    businessKey: ['sls_ord_num', 'sls_prd_key'],
    columns: [
      col('sls_ord_num', 'text', 'Order number.'),
      col('sls_prd_key', 'text', 'Product number (prd_key without its category).'),
      col('sls_cust_id', 'int', 'CRM customer id.'),
      col('sls_order_dt', 'yyyymmdd', 'Order date as a YYYYMMDD integer.'),
      col('sls_ship_dt', 'yyyymmdd', 'Ship date as a YYYYMMDD integer.'),
      col('sls_due_dt', 'yyyymmdd', 'Due date as a YYYYMMDD integer.'),
      col('sls_sales', 'int', 'Line amount; untrusted (recomputed from quantity and price).'),
      col('sls_quantity', 'int', 'Quantity.'),
      col('sls_price', 'int', 'Unit price; untrusted.'),
    ],
  },
  {
    name: 'erp_cust_az12',
    system: 'erp',
    filePrefix: 'cust_az12',
    description: 'ERP customer demographics.',
    entity: 'erp_customers',
    businessKey: ['cid'],
    columns: [
      col('CID', 'text', 'Customer number, sometimes with a NAS prefix.'),
      col('BDATE', 'date', 'Birthdate (YYYY-MM-DD).', { pii: true }),
      col('GEN', 'text', 'Gender in several spellings.'),
    ],
  },
  {
    name: 'erp_loc_a101',
    system: 'erp',
    filePrefix: 'loc_a101',
    description: 'ERP customer locations.',
    entity: 'locations',
    businessKey: ['cid'],
    columns: [
      col('CID', 'text', 'Customer number with a hyphen, e.g. AW-00011000.'),
      col('CNTRY', 'text', 'Country name or code.'),
    ],
  },
  {
    name: 'erp_px_cat_g1v2',
    system: 'erp',
    filePrefix: 'px_cat_g1v2',
    // The category list changes rarely; its export may come weekly.
    maxAgeHours: 24 * 7 + 2,
    description: 'ERP product categories.',
    entity: 'categories',
    businessKey: ['id'],
    columns: [
      col('ID', 'text', 'Category id, e.g. CO_RF.'),
      col('CAT', 'text', 'Category.'),
      col('SUBCAT', 'text', 'Subcategory.'),
      col('MAINTENANCE', 'text', 'Whether the product needs maintenance: Yes or No.'),
    ],
  },
] as const;

export const RETAIL_SOURCES: readonly SourceContract[] = RAW.map((s) => SourceContractSchema.parse(s));

type RawSource = (typeof RAW)[number];
export type RetailSourceName = RawSource['name'];

/**
 * A bronze row's TypeScript type, derived from the contract: one nullable text field per contract
 * column, then lineage. `BronzeRow<'crm_cust_info'>` has `cst_id`, `cst_key`, … and `_line`.
 */
export type BronzeRow<N extends RetailSourceName> = {
  [C in Extract<RawSource, { name: N }>['columns'][number] as C['column']]: string | null;
} & {
  _extra: Record<string, string | null> | null;
  _run_id: number;
  _file_id: number;
  _line: number;
  _ingested_at: Date;
};

export function sourceByName(name: string): SourceContract | undefined {
  return RETAIL_SOURCES.find((s) => s.name === name);
}

/** Silver entities in the order the gold step expects them; each fed by exactly one source. */
export const SILVER_ENTITIES = RETAIL_SOURCES.map((s) => s.entity);

/** The silver entities the gold dimensions read (sql/gold/dim_*.sql): every one but the order lines. */
export const DIMENSION_INPUTS = SILVER_ENTITIES.filter((e) => e !== 'sales');
