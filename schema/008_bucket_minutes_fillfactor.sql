-- Each fold (every few seconds) adds to the counts of the current minutes' rows. Room left in
-- their pages lets those updates stay on the page (HOT) instead of adding index entries that
-- the inserts then have to clean up.
ALTER TABLE bucket_minutes SET (fillfactor = 70);
