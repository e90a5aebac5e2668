from ftlab.cli.app import main

raise SystemExit(main())
