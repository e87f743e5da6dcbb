"""perfcodegen.judge"""
