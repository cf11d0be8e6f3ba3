-- intake's own schema; the runner sets search_path to it.
SELECT 1;
