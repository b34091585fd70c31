"""Texts fetched on demand (`seccoop texts fetch`, the extra `seccoop[fetch]`): what to fetch and
where it is kept (`fetch`), a page's article text (`extract`), and each span found in it (`align`).
Nothing that `check`, `build` or the action runs imports this package (docs/fetch.md)."""
