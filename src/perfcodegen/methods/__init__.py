"""perfcodegen.methods"""
