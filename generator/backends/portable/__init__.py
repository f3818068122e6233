"""The portable zip (``portable``) and the Scoop manifest that installs it (``scoop``)."""
