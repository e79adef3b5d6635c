"""Building blocks: one AWS concept each (a function with its role, a table, a site...), with the
links other blocks use to reach it."""
