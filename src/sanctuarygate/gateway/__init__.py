"""The data gateway: partner agencies reach the city's police records only through the rules.

The records database is the city's own (``SANCTUARYGATE_RECORDS_URL``); the gateway reads it and
never copies its rows. ``records`` defines its tables and one view per catalog dataset (columns
exactly the dataset's fields, the first a unique key); ``generate`` fills a synthetic one for the
demo and for tests. Planning a query, filtering, streaming and watermarking the rows it releases
live in the other modules of this package.
"""
