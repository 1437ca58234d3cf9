"""RawItem -> Item: `item` (the Normalizer, one source's items), `urls`, `dates`, `text` rules in
`categories`, `sanitize`. Nothing is imported here, so that using one part does not load the others."""
