"""perfcodegen.metrics"""
