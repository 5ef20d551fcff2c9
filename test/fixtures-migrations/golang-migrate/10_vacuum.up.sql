VACUUM orders;
ANALYZE orders;
