"""perfcodegen.store"""
