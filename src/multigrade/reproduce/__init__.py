"""``make reproduce``: the runs behind the papers' results, and a report against them."""
