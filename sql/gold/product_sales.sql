-- gold/product_sales.sql
-- Purpose: per-product sales totals behind the product_performance view, recomputed for the
-- products whose order lines changed in this run.
-- Inputs: gold.fact_sales, touched_sales (temp). Outputs: gold.product_sales.
-- Grain: one row per product number with at least one dated order line. Key: product_number.

create temp table touched_products on commit drop as
select distinct product_number from touched_sales;
analyze touched_products;

delete from gold.product_sales p using touched_products t where p.product_number = t.product_number;

insert into gold.product_sales (product_number, orders, customers, quantity, sales, first_sale_date, last_sale_date,
                                avg_selling_price)
-- orders: count(*), not count(distinct order_number): (order_number, product_number) is the fact
-- table's key, so a product's lines are of distinct orders (one sort fewer over every fact).
select f.product_number, count(*), count(distinct f.customer_id), sum(f.quantity),
       sum(f.sales_amount), min(f.order_date), max(f.order_date),
       round(avg(f.sales_amount::numeric / nullif(f.quantity, 0)), 2)
  from gold.fact_sales f
  join touched_products t on t.product_number = f.product_number
 where f.order_date is not null
 group by f.product_number;
