-- CreateIndex (edited by hand: CONCURRENTLY, alone in its migration)
CREATE INDEX CONCURRENTLY "Order_userId_idx" ON "Order"("userId");
