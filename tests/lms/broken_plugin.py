"""A plugin whose import fails, for the plugin-loading tests."""
raise RuntimeError("this plugin found no database to talk to")
