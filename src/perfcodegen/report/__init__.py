"""perfcodegen.report"""
