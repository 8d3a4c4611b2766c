-- PostgreSQL gets a covering index for the console's tab counts here. SQLite does not
-- need it: the same counts already run within 1.1 times the API's list of the same
-- filter (BENCHMARKS.md), and every filing would pay for the index. The migration
-- exists so that both engines keep the same list.
SELECT 1;
