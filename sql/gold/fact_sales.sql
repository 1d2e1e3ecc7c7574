-- gold/fact_sales.sql
-- Purpose: upserts the order lines that changed in this run into the fact table (the facts step's
-- path when the table has facts already; an empty one is loaded in bulk by src/pipeline/fact-load.ts).
-- Inputs: meta.run_fact_image (migration 015: silver.sales changed by this run, joined to
--         gold.dim_products and gold.dim_customers); temp tables replaced_sales (the changed lines
--         that have a fact already), changed_sales and gold_batch (fact_changes.sql, earlier in
--         the transaction).
-- Outputs: gold.fact_sales; returns kept (the run's lines that had a fact already; the insert's
--          row count is the rest).
-- Grain: one row per order line. Key: (order_number, product_number).

-- The facts as they must be, joined to their dimension keys once; in customer order, so that the
-- insert below adds to the customer index (fact_sales_customer_idx) page after page instead of at
-- random (a 1 % day's 75 k lines, in turn: the insert 0.76-1.06 s -> 0.55-0.89 s).
-- Its customer keys looked up or hashed by the 5 % rule against the customer dimension, which it
-- joins, not against the facts (fact_changes.sql's verdict): a 1 % day's 75 k lines are 7.5 % of a
-- million customers, and hashing the dimension read them faster than 75 k lookups in pages outside
-- the shared buffers (in turn, six pairs: the image 0.68-0.70 s and 1.3 core-s against 1.01-1.32 s
-- and 2.0-2.6 core-s). The facts' own verdict is back for the statements after it.
select meta.use_key_lookups_for('changed_sales', 'gold.dim_customers');
create temp table fact_image on commit drop as
select * from meta.run_fact_image order by customer_id;
select meta.set_key_lookups((select small from gold_batch));
analyze fact_image (order_number, product_number);

-- Update and insert apart, not INSERT … ON CONFLICT: the gold lock excludes concurrent writers,
-- and a plain insert costs a third of a speculative one per row (measured on 750 k facts).
-- Which lines have a fact already, fact_changes.sql found by one probe of the primary key per
-- line (replaced_sales): the update reads only those, and the insert takes the others, instead of
-- probing the key twice more for every line (seed scale, a 1 % day: 75 k new lines, 0.13 s of
-- lookups for an update of none and as many in the insert).
update gold.fact_sales t
   set customer_id = i.customer_id, product_key = i.product_key, customer_key = i.customer_key,
       order_date = i.order_date, shipping_date = i.shipping_date, due_date = i.due_date,
       order_date_key = i.order_date_key, sales_amount = i.sales_amount, quantity = i.quantity,
       price = i.price, _run_id = i._run_id
  from fact_image i
  join replaced_sales r on r.order_number = i.order_number and r.product_number = i.product_number
 where t.order_number = i.order_number and t.product_number = i.product_number
   and (t.customer_id, t.product_key, t.customer_key, t.order_date, t.shipping_date, t.due_date,
        t.sales_amount, t.quantity, t.price)
       is distinct from
       (i.customer_id, i.product_key, i.customer_key, i.order_date, i.shipping_date, i.due_date,
        i.sales_amount, i.quantity, i.price);

-- An empty table (a first load that takes this path: src/pipeline/fact-load.ts, `whole: false`): its
-- indexes are built once after the insert, not row by row (migration 011; a no-op when the table has rows).
select meta.suspend_indexes('gold.fact_sales');

insert into gold.fact_sales (order_number, product_number, customer_id, product_key, customer_key, order_date,
                             shipping_date, due_date, order_date_key, sales_amount, quantity, price, _run_id)
select i.order_number, i.product_number, i.customer_id, i.product_key, i.customer_key, i.order_date,
       i.shipping_date, i.due_date, i.order_date_key, i.sales_amount, i.quantity, i.price, i._run_id
  from fact_image i
 where not exists (select 1 from replaced_sales r
                    where r.order_number = i.order_number and r.product_number = i.product_number);

select meta.restore_indexes('gold.fact_sales');

-- The run's lines that had a fact already (replaced_sales, before fact_late_customers.sql adds the
-- keys of the facts it attaches): with the rows the insert above wrote, what proves the facts'
-- conservation rule without its anti-join (src/pipeline/fact-load.ts, src/quality/runner.ts).
select count(*)::bigint as kept from replaced_sales;
