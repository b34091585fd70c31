"""The curator's commands: adding and removing sources, ids and their changes, `locate`, and the generated docs."""
