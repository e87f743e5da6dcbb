"""perfcodegen.backends"""
