"""The live core: Pykka actors that poll Bungie, record events and keep the view current."""
