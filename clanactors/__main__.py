from clanactors.process.cli import main

raise SystemExit(main())
