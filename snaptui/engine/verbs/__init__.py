"""The Engine's verbs, one topic a module, mixed into `api.Engine`: faces call them there, never these modules.

Each verb imports its worker module when called, so `snaptui status` does not load what gc or metrics need.
"""
