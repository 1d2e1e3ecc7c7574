-- gold/fact_late_customers.sql
-- Purpose: last of the facts step's writes: attaches facts loaded before their customer existed
-- (late-arriving dimension) to the customer's current version.
-- Inputs: gold.fact_sales (just written), gold.dim_customers. Outputs: gold.fact_sales
--         (customer_key); temp table replaced_sales (fact_changes.sql) gains the attached facts'
--         keys, which the aggregates must recompute.

-- The facts just written, for the update below and the aggregates: analysed once a tenth of them
-- changed (migration 021). _run_id for its correlation: without it the planner prices a scan of
-- the run index (BRIN, migration 027) as reading every page, and a later run's rows are found by
-- scanning the whole table.
select meta.analyze_if_stale('gold.fact_sales', 'order_number', 'product_number', 'customer_id', 'order_date_key', 'customer_key', '_run_id');

with attached as (
  update gold.fact_sales f
     set customer_key = d.customer_key
    from gold.dim_customers d
   where f.customer_key is null and d.customer_id = f.customer_id and d.is_current
  returning f.order_number, f.order_date, f.customer_id, f.product_number
)
insert into replaced_sales (order_number, order_date, customer_id, product_number)
select order_number, order_date, customer_id, product_number from attached;

-- The run's facts in the run index's summaries (a BRIN index: migration 027).
select meta.summarize_new_ranges('gold.fact_sales');
