"""perfcodegen.llm"""
