-- gold/fact_late_customers.sql
-- Purpose: last of the facts step's writes: attaches facts loaded before their customer existed
-- (late-arriving dimension) to the customer's current version.
-- Inputs: gold.fact_sales (just written), gold.dim_customers. Outputs: gold.fact_sales
--         (customer_key); temp table replaced_sales (fact_changes.sql) gains the attached facts'
--         keys, which the aggregates must recompute.

-- The facts just written, for the update below and the aggregates: analysed once a tenth of them
-- changed (migration 021).
select meta.analyze_if_stale('gold.fact_sales', 'order_number', 'product_number', 'customer_id', 'order_date_key', 'customer_key');

with attached as (
  update gold.fact_sales f
     set customer_key = d.customer_key
    from gold.dim_customers d
   where f.customer_key is null and d.customer_id = f.customer_id and d.is_current
  returning f.order_date, f.customer_id, f.product_number
)
insert into replaced_sales select order_date, customer_id, product_number from attached;
