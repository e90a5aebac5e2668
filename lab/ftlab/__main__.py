from ftlab.cli import main

raise SystemExit(main())
