"""The site: what spans every app (the home page, the national demo); the top layer."""
