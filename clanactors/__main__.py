from clanactors.cli import main

raise SystemExit(main())
