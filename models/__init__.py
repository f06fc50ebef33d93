"""The bundled default model and its model card (this folder is installed as ``oscserver.bundled``)."""
