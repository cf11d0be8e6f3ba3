-- The backlog at an instant: assignments with assigned_at < as_of <= ended_at (or still open), i.e.
-- whose (assigned_at, ended_at] range contains as_of. A B-tree on either bound scans every assignment
-- before (or after) as_of; a GiST index on the range finds just the ones open at that instant.
-- An end before the start (clock skew) gives an empty range, which contains no instant, as before.
CREATE INDEX assignments_open_during ON assignments USING gist (
    tstzrange(assigned_at, CASE WHEN ended_at < assigned_at THEN assigned_at ELSE ended_at END, '(]')
);
