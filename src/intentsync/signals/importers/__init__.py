"""CSV importers for intent exports (Bombora, G2, LinkedIn): pure parsers and a chunked run."""
