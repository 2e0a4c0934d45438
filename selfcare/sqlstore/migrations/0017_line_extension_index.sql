-- 0017: find a directory number on any phone without reading every phone:
-- additional phones must not ring a line of the directory (remotedest).
CREATE INDEX device_lines_extension ON device_lines (extension);
