-- 037_customer_record.sql
-- Purpose: a rejected CRM customer row's record in quarantine.rejects (its raw values as they
-- came, by name), as one definition, like meta.sales_record (migration 019) for the order lines.
-- sql/silver/customers.sql writes it for three rules: a row without a usable key, and a row that
-- lost the de-duplication on either of its paths (ranked against silver's rows, or, on a first
-- load, by one sorted pass).

create function meta.customer_record(cst_id text, cst_key text, firstname text, lastname text, marital_status text,
                                     gndr text, create_date text, email text, phone text, address text, city text,
                                     postal_code text, extra jsonb)
  returns jsonb language sql stable parallel safe
  as $$ select jsonb_build_object('cst_id', cst_id, 'cst_key', cst_key, 'cst_firstname', firstname,
                                  'cst_lastname', lastname, 'cst_marital_status', marital_status, 'cst_gndr', gndr,
                                  'cst_create_date', create_date, 'cst_email', email, 'cst_phone', phone,
                                  'cst_address', address, 'cst_city', city, 'cst_postal_code', postal_code,
                                  '_extra', extra) $$;
