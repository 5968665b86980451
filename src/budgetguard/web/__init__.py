"""The web console (issue 8): HTML pages rendered on the server beside the HTTP API, for the
console's users (signed in) and for each shop (its own link)."""
