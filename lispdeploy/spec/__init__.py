"""The spec layer: reading deployment files (Hy with Guix syntax), the prelude of Scheme
idioms and Guix vocabulary, record and g-expression forms, and loading specs. The only layer
that imports Hy (besides nothing else: gexp lowering works on compiled Python)."""
