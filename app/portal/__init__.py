"""The citizen-facing event portal: public pages, search, JSON-LD, sitemap, Atom and widget."""
