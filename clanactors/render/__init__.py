"""Records into what people and programs read: the API's JSON, HTML fragments, Atom."""
