-- checks/facts_have_dimensions.sql
-- Purpose: no fact row lacks its customer or product when the dimension has a match; facts whose
-- source had no match are counted, not failed. Every order date is in dim_date.
-- The date check is an anti-join (one hash join), not a lookup per fact.
-- Inputs: none. Output: one row (passed, detail).
with f as (
  select count(*) filter (where customer_key is null) as no_customer,
         count(*) filter (where customer_key is null
                            and exists (select 1 from gold.dim_customers d where d.customer_id = fs.customer_id)) as no_customer_but_exists,
         count(*) filter (where product_key is null) as no_product,
         count(*) filter (where product_key is null
                            and exists (select 1 from gold.dim_products p where p.product_number = fs.product_number)) as no_product_but_exists,
         count(*) as facts
    from gold.fact_sales fs
), no_date as (
  select count(*) as n
    from gold.fact_sales fs
    left join gold.dim_date d on d.date_key = fs.order_date_key
   where fs.order_date_key is not null and d.date_key is null
)
select no_customer_but_exists = 0 and no_product_but_exists = 0 and (select n from no_date) = 0 as passed,
       jsonb_build_object('facts', facts, 'unmatchedCustomer', no_customer, 'unmatchedProduct', no_product,
                          'missingCustomerKey', no_customer_but_exists, 'missingProductKey', no_product_but_exists,
                          'orderDateNotInDimDate', (select n from no_date)) as detail
  from f
