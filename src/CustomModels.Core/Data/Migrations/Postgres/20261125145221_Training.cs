using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CustomModels.Core.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Training : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ArtifactName",
                table: "custom_models",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "training_data_sets",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ModelId = table.Column<long>(type: "bigint", nullable: false),
                    Kind = table.Column<int>(type: "integer", nullable: false),
                    AudioFileName = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    TranscriptFileName = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    AudioBlob = table.Column<string>(type: "text", nullable: true),
                    TranscriptBlob = table.Column<string>(type: "text", nullable: false),
                    AudioSeconds = table.Column<double>(type: "double precision", nullable: true),
                    WordCount = table.Column<int>(type: "integer", nullable: false),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_training_data_sets", x => x.Id);
                    table.ForeignKey(
                        name: "FK_training_data_sets_custom_models_ModelId",
                        column: x => x.ModelId,
                        principalTable: "custom_models",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "training_jobs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ModelId = table.Column<long>(type: "bigint", nullable: false),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Attempts = table.Column<int>(type: "integer", nullable: false),
                    LeaseOwner = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    LeaseExpiresAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    CreatedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    FinishedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    LastError = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_training_jobs", x => x.Id);
                    table.ForeignKey(
                        name: "FK_training_jobs_custom_models_ModelId",
                        column: x => x.ModelId,
                        principalTable: "custom_models",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_training_data_sets_ModelId_Id",
                table: "training_data_sets",
                columns: new[] { "ModelId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_training_jobs_ModelId",
                table: "training_jobs",
                column: "ModelId");

            migrationBuilder.CreateIndex(
                name: "IX_training_jobs_State_Id",
                table: "training_jobs",
                columns: new[] { "State", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "training_data_sets");

            migrationBuilder.DropTable(
                name: "training_jobs");

            migrationBuilder.DropColumn(
                name: "ArtifactName",
                table: "custom_models");
        }
    }
}
