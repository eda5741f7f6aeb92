"""The client record: one stored session read back, corrected, and handed to the EPD."""
