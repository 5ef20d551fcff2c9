CREATE OR REPLACE VIEW product_titles AS SELECT id, title FROM products;
