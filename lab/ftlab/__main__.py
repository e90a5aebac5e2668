from ftlab.cli.main import main

raise SystemExit(main())
