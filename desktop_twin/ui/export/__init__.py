"""The export page: the .twin file by drag and drop or Save as, a rendered video, the report card."""
