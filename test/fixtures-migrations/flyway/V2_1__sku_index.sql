CREATE UNIQUE INDEX CONCURRENTLY products_sku_idx ON products (sku);
