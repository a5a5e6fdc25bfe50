import typer
app = typer.Typer()
@app.command()
def demo() -> None:
    import smileback.common, smileback.ingest
    print("ok", smileback.common.__file__, smileback.ingest.__file__)
@app.command()
def other() -> None: pass
